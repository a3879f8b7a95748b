// The STIX module; see ../../README.md and DESIGN.md.
