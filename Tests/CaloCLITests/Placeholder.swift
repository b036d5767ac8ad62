// Tests for CaloCLI are added with the module's code.
