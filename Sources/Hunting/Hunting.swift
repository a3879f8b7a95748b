// The Hunting module; see docs/SIGMA.md.
