// ssdeep (context-triggered piecewise hashes) from libfuzzy, the ssdeep project's C library
// (Debian: libfuzzy-dev).
#include <fuzzy.h>
