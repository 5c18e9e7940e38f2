/* host/config/paths.h — a path written in an INI file (a value, %include, base) made into a
 * path: relative to the file that wrote it. */
#ifndef HRKD_CONFIG_PATHS_H
#define HRKD_CONFIG_PATHS_H

/* rel against base_file's folder (still relative when base_file is; malloc'd). An absolute or
 * empty rel comes back as it is. */
char *cfg_join(const char *base_file, const char *rel);
/* rel made absolute: against base_file's folder, then the working folder (malloc'd), and
 * lexically normalised (cfg_normalize_abs). */
char *cfg_join_abs(const char *base_file, const char *rel);
/* An absolute path rewritten in place without "//", "/./", "dir/.." or a trailing '/'. */
void cfg_normalize_abs(char *path);

#endif
