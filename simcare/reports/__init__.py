"""For people: tables, verdicts, one customer's story, the HTML report and its charts."""
