// Tests for CaloFlows are added with the module's code.
