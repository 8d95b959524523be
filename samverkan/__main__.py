from samverkan.cli.main import main

main()
