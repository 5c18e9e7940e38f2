/* host/core/interrupt.c — see interrupt.h. */
#include "core/interrupt.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t pending;

static void on_signal(int sig)
{
    if (pending) { /* asked twice: stop now, as the default action would */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    pending = sig;
}

void hrkd_interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int hrkd_interrupted(void) { return (int)pending; }
