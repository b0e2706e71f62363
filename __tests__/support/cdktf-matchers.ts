/**
 * cdktf's Jest matchers (toHaveResourceWithProperties, toPlanSuccessfully, …) for the test files
 * that use them: `import "../support/cdktf-matchers";`. Not a global setup file, because setting
 * them up loads cdktf (~0.3 s in Jest's module registry) in every one of ~75 test files, most of
 * which never touch cdktf (issue 14).
 */
import { Testing } from "cdktf";
// Type declarations of the matchers.
import "cdktf/lib/testing/adapters/jest";

Testing.setupJest();
