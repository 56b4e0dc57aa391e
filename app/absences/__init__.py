"""Employee absences and the company's absence kinds, which decide what presence counts in every scheme."""
