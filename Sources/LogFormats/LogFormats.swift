// The LogFormats module; see ../../README.md and DESIGN.md.
