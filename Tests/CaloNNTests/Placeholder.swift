// Tests for CaloNN are added with the module's code.
