"""Run: one input through the stages (`pipeline`), and batches of them (`batch`): the run
store, resume, parallel jobs, progress. Hands on verified `Record`s to the store and the
exports."""
