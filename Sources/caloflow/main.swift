import CaloCLI

CaloflowCLI.main()
