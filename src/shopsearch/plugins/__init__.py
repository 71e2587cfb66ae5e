"""What a ranking signal is written against (base.py: Signal, SignalParams, Candidates, Context): the one
module both relevance/ (the built-in signals, the registry) and third-party signal packages import."""
