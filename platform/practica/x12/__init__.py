"""X12 5010 for Practica: what goes out to payers and what comes back, without the database.

- `claim837`: frozen dataclasses describing an 837P (005010X222A1) interchange, and `write_837p`
  turning one into X12 text.
- `tokens`: a small generic tokenizer (delimiters from ISA, envelopes checked) whose errors name the
  segment and its line.
- `ack999` and `ack277ca`: readers of the 999 (005010X231A1) and 277CA (005010X214) acknowledgements.
- `read837`: reads an 837P back into the `claim837` dataclasses.
- `remit835`: reads an 835 remittance (005010X221A1): payments, claim and line payments,
  adjustments, provider-level adjustments.
- `inquiry270` and `read271`: eligibility inquiries (005010X279A1) written from dataclasses, and
  responses read and assessed for a visit (`codes271` says what their codes mean).
- `explain`: picks the reader for a file by its transaction set (the `explain_x12` command).

The claims app maps its models to these dataclasses and stores what the readers return; nothing
here touches a practice's data.
"""
