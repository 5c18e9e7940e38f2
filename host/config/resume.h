/* host/config/resume.h — may a run continue under this INI? (`hrkd run --resume`)
 *
 * The run file keeps the effective configuration it was started with (/config). Resuming
 * under an INI whose effective configuration differs would train a model that neither
 * describes, so every difference is refused, except:
 *   - keys that cannot change results: [backend] threads, [run] log_every, [run] comm_timeout,
 *     [output] flush_every, [output] checkpoint_every;
 *   - paths spelled differently that name the same file or folder, or files of identical
 *     content;
 *   - a host key the run's configuration lacks, at its default now (the run was started by
 *     an hrkd from before the key, and a new key's default keeps the results it gave);
 *   - the run's length ([run] epochs, [run] max_steps, [teacher] epochs), with `extend`
 *     (--extend): these come back as changes for the run file to record. */
#ifndef HRKD_CONFIG_RESUME_H
#define HRKD_CONFIG_RESUME_H

#include "hrkd/status.h"

typedef struct hrkd_config_changes {
    char **line; /* "[section] key: old -> new" */
    int    n;
} hrkd_config_changes;

/* stored: the run's /config text; now: the INI's effective configuration. OK (changes may be
 * empty) or HRKD_STATUS_INVALID naming every refused key with both values; `run` names the
 * run file in the message. */
hrkd_status hrkd_config_resume_check(const char *stored, const char *now, int extend, const char *run,
                                     hrkd_config_changes *changes, hrkd_error *err);
void hrkd_config_changes_free(hrkd_config_changes *c);

#endif /* HRKD_CONFIG_RESUME_H */
