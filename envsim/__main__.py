from envsim.cli import main

main()
