"""Employee voice: eNPS pulse surveys, answered anonymously, with results that never isolate fewer than 5 people."""
