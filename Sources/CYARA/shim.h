// YARA pattern matching from libyara, VirusTotal's C library (Debian: libyara-dev). The accessors below
// read what the library's iteration macros (yr_rule_tags_foreach, yr_rule_metas_foreach) read, which
// Swift cannot call.
#include <yara.h>

static inline const char *sightline_yr_rule_identifier(const YR_RULE *rule) { return rule->identifier; }
static inline const char *sightline_yr_rule_namespace(const YR_RULE *rule) { return rule->ns->name; }
/// The rule's tags: NUL-separated, ending with an empty one (or NULL).
static inline const char *sightline_yr_rule_tags(const YR_RULE *rule) { return rule->tags; }

/// The rule's meta entry at `index`, or NULL past the last.
static inline const YR_META *sightline_yr_rule_meta(const YR_RULE *rule, int index) {
    const YR_META *meta = rule->metas;
    for (int i = 0; meta != NULL && i < index; i++) meta = META_IS_LAST_IN_RULE(meta) ? NULL : meta + 1;
    return meta;
}
static inline const char *sightline_yr_meta_identifier(const YR_META *meta) { return meta->identifier; }
static inline const char *sightline_yr_meta_string(const YR_META *meta) { return meta->string; }
