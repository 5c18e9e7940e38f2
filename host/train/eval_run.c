/* host/train/eval_run.c — the library side of `hrkd eval FILE.ini RUN.h5` (host/cli/cmd_eval.c)
 * and of [run] mode = eval: the run's models rebuilt from the INI (setup.c) and evaluated
 * (eval.c). A file of its own because it sits above setup.c, which sits above everything the
 * evaluation primitives serve. */
#include "train/eval_run.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "train/eval.h"
#include "train/setup.h"

int hrkd_eval_run_file(const char *ini, const char *h5, int split, const char *group)
{
    /* Evaluation is not sharded: under mpirun rank 0 evaluates alone and prints once. */
    if (hrkd_comm_launcher_rank() > 0) return 0;
    hrkd_setup r = {0};
    if (hrkd_setup_config(&r, ini) != 0) return 2;
    hrkd_error err = {0};
    int rc = 0;
    hrkd_ctx *ctx = NULL;
    hrkd_run *run = NULL;
    hrkd_bert *m = NULL;
    if ((rc = hrkd_setup_backend(&r, &err)) != 0) goto fail;
    if (!(ctx = hrkd_ctx_create(r.be, &err))) { rc = 1; goto fail; }
    if (hrkd_setup_data(&r, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
    if (hrkd_run_open(h5, &run, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
    int teacher_run = !strcmp(run_mode(&r), "teacher");
    hrkd_run_view v;
    hrkd_run_get_view(run, &v);
    teacher_run = teacher_run || v.M == 0;
    int n_heads = 1; /* teachers: as many heads as the saved models have (mix, meta_teacher: 1) */
    if (teacher_run && !group) hrkd_teacher_read_heads(run, r.data.D, &n_heads, &err);
    double acc[HRKD_MAX_DOMAINS];
    for (int d = 0; d < r.data.D; d++) {
        char g[32];
        if (group) snprintf(g, sizeof g, "%s", group);
        else snprintf(g, sizeof g, "best_d%d", d);
        hrkd_run_state rs = {0};
        if (hrkd_run_load_checkpoint(run, g, NULL, 0, &rs, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
        int model, head, heads;
        if (!hrkd_teacher_route(&rs, &model, &head, &heads) && rs.n_loader < 2) head = d;
        hrkd_bert_config c;
        if (teacher_run) {
            if (hrkd_setup_teacher_arch(&r, &c, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
            c.num_heads_cls = n_heads > heads ? n_heads : heads;
            if (c.num_heads_cls <= head) c.num_heads_cls = head + 1;
        } else {
            hrkd_bert_config tc;
            if (hrkd_setup_teacher_arch(&r, &tc, &err) != HRKD_STATUS_OK ||
                hrkd_setup_student_arch(&r, &tc, &c, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
            head = d;
        }
        char name[32];
        if (teacher_run) snprintf(name, sizeof name, "teacher_%d", model);
        else snprintf(name, sizeof name, "student");
        hrkd_bert_destroy(m);
        m = hrkd_bert_create(r.be, &c, name, 0, 0, &err);
        if (!m) { rc = 2; goto fail; }
        hrkd_params *p = m->params;
        if (hrkd_run_load_checkpoint(run, g, &p, 1, NULL, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
        if (head >= c.num_heads_cls) head = 0;
        if (hrkd_eval_split(NULL, m, head, ctx, &r.data.split[d][split], data_eval_batch_size(&r),
                            &acc[d], &err) != HRKD_STATUS_OK) { rc = 1; goto fail; }
    }
    {
        char title[128];
        snprintf(title, sizeof title, "%s accuracy (%%) on %s:", h5, hrkd_data_split_name(split));
        double avg = 0;
        printf("%s\n", title);
        for (int d = 0; d < r.data.D; d++) {
            printf("  %-24s %6.2f\n", r.data.domains[d], 100 * acc[d]);
            avg += acc[d] / r.data.D;
        }
        printf("  %-24s %6.2f\n", "average", 100 * avg);
    }
    goto done;
fail:
    fprintf(stderr, "hrkd eval: %s\n", err.msg[0] ? err.msg : "failed");
    if (!rc) rc = 1;
done:
    hrkd_bert_destroy(m);
    hrkd_run_free(run);
    hrkd_ctx_destroy(ctx);
    hrkd_setup_free(&r);
    return rc;
}
