// MaxMind DB (.mmdb) reader: libmaxminddb (Debian: libmaxminddb-dev).
#include <maxminddb.h>
#include <string.h>

// The ISO 3166 code of an address's country (`country`, else `registered_country`) in `out` (3 bytes
// with the terminator). Returns 1 when found, 0 when the database has no entry or no code for it, and a
// negative value when `ip` is not an address (-1) or the lookup failed (-2). (MMDB_get_value is variadic
// and its result a union: neither is callable from Swift.)
static inline int sightline_mmdb_country(const MMDB_s *db, const char *ip, char out[3]) {
    int gai_error = 0, mmdb_error = 0;
    MMDB_lookup_result_s result = MMDB_lookup_string(db, ip, &gai_error, &mmdb_error);
    if (gai_error != 0) return -1;
    if (mmdb_error != MMDB_SUCCESS) return -2;
    if (!result.found_entry) return 0;
    static const char *const paths[2][3] = {{"country", "iso_code", NULL}, {"registered_country", "iso_code", NULL}};
    for (int i = 0; i < 2; i++) {
        MMDB_entry_data_s data;
        if (MMDB_aget_value(&result.entry, &data, paths[i]) != MMDB_SUCCESS) continue;
        if (data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING && data.data_size == 2) {
            memcpy(out, data.utf8_string, 2);
            out[2] = 0;
            return 1;
        }
    }
    return 0;
}
