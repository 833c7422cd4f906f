// Linearizability checker: being written.
