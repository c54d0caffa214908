"""The rulebook, one module per section of ``shared/spec/rules.md`` and ``fees.md``.

"Where is JOB-2?" is answered by the file name:

============  =============================================================
``cal``       CAL: period arithmetic (民法140条・143条), the only place months are counted
``elig``      ELIG: who is eligible, and from when
``per``       PER: the support period and decisions (支給決定)
``job``       JOB: leaving a job, changing jobs
``mon``       MON: monthly duties and billing
``plan``      PLAN: the support plan and its reviews
``con``       CON: consent and sharing
``evid_end``  EVID, END: evidence of retention, the end of support
``rate``      RATE: the office's 就労定着率
``fee``       FEE: what a month earns (units by tier)
``catalogue`` every rule id with its title and source (:data:`~domain.rules.catalogue.RULES`)
============  =============================================================

Everything here is pure: dates, kinds and payloads in; dates, verdicts and findings out.
The projections attach event versions and sentences.
"""
