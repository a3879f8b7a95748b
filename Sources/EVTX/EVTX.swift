// The EVTX module; see ../../README.md and DESIGN.md.
