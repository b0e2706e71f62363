import { Testing } from "cdktf";
// Type declarations of cdktf's jest matchers (toHaveResourceWithProperties, toPlanSuccessfully, …).
import "cdktf/lib/testing/adapters/jest";

Testing.setupJest();
