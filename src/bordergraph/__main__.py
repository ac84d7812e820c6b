from bordergraph.cli import main

main()
