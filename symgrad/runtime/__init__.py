"""Running under a budget: time budgets every heavy stage ticks, and the killable worker process."""
