"""The UDR contract: steps 4-8 of the flow as black-box tests of any UDR."""
