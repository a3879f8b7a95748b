// The Patterning module; see ../../README.md and DESIGN.md.
