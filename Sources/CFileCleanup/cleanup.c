#include "CFileCleanup.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

/// 0 free, 1 being written or cleared, 2 holds a path.
static atomic_int states[CALO_CLEANUP_SLOTS];
static char paths[CALO_CLEANUP_SLOTS][CALO_CLEANUP_PATH_MAX + 1];
/// The process that registered each path: a forked child inherits the table but must not remove
/// its parent's files.
static pid_t owners[CALO_CLEANUP_SLOTS];
static atomic_int installed;

int caloCleanupRegister(const char *path) {
    size_t n = strlen(path);
    if (n > CALO_CLEANUP_PATH_MAX) return -1;
    for (int i = 0; i < CALO_CLEANUP_SLOTS; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&states[i], &expected, 1)) {
            memcpy(paths[i], path, n + 1);
            owners[i] = getpid();
            atomic_store_explicit(&states[i], 2, memory_order_release);
            return i;
        }
    }
    return -1;
}

void caloCleanupUnregister(int slot) {
    if (slot < 0 || slot >= CALO_CLEANUP_SLOTS) return;
    atomic_store_explicit(&states[slot], 0, memory_order_release);
}

void caloCleanupRemoveAll(void) {
    pid_t me = getpid();
    for (int i = 0; i < CALO_CLEANUP_SLOTS; i++) {
        if (atomic_load_explicit(&states[i], memory_order_acquire) == 2 && owners[i] == me) unlink(paths[i]);
    }
}

static void onTerminatingSignal(int sig) {
    caloCleanupRemoveAll();
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    raise(sig);
}

void caloCleanupInstallSignalHandlers(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = onTerminatingSignal;
    sigemptyset(&action.sa_mask);
    int signals[] = {SIGINT, SIGTERM, SIGHUP};
    sigset_t unblock;
    sigemptyset(&unblock);
    for (int k = 0; k < 3; k++) sigaddset(&action.sa_mask, signals[k]);
    for (int k = 0; k < 3; k++) {
        // A signal the parent set to be ignored (nohup, a batch system) stays ignored.
        struct sigaction current;
        if (sigaction(signals[k], NULL, &current) == 0 && current.sa_handler == SIG_IGN) continue;
        sigaction(signals[k], &action, NULL);
        sigaddset(&unblock, signals[k]);
    }
    // A blocked signal mask is inherited through exec (e.g. from a thread that blocks them);
    // these signals must reach the process.
    pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
    signal(SIGXFSZ, SIG_IGN);
    atomic_store(&installed, 1);
}

int caloCleanupHandlersInstalled(void) { return atomic_load(&installed); }
