from simcare.cli import main

main()
