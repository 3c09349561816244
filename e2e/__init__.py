"""The stack launcher and the browser suites of the whole flow."""
