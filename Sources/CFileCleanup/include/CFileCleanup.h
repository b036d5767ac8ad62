// Temporary files to remove when the process is ended by a signal.
//
// Every file the app writes goes to a temporary name first (AtomicFileDestination in CaloData).
// Those names are registered here, in fixed static storage, so that a signal handler can remove
// them with unlink(2) alone: no allocation, no locks, only async-signal-safe calls. A slot is
// published with a release store after its path is written and read with an acquire load, so the
// handler never sees a half-written path.
#ifndef CALOFLOW_FILE_CLEANUP_H
#define CALOFLOW_FILE_CLEANUP_H

/// Most temporary files registered at once; registration beyond this fails (returns -1) and the
/// file is then only removed by the normal error paths and by the next run's stale-file sweep.
#define CALO_CLEANUP_SLOTS 64
/// Longest path (bytes, without the terminating 0) that can be registered.
#define CALO_CLEANUP_PATH_MAX 4095

/// Registers `path` for removal on a terminating signal; returns the slot, or -1 when every slot
/// is taken or the path is too long.
int caloCleanupRegister(const char *path);

/// Forgets slot `slot` (after the file was renamed into place or removed). -1 is ignored.
void caloCleanupUnregister(int slot);

/// Removes every file this process registered now (a forked child removes none of its parent's).
/// Async-signal-safe.
void caloCleanupRemoveAll(void);

/// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove the registered files, restore the
/// default action and re-raise the signal, so the process ends as it would have (exit status
/// 128 + signal number in a shell), and unblocks them in the calling thread (a blocked mask is
/// inherited through exec). A signal whose disposition is already SIG_IGN (nohup) is left
/// ignored. Also ignores SIGXFSZ, so a write past `ulimit -f` fails with
/// EFBIG and is reported like a full disk instead of killing the process.
void caloCleanupInstallSignalHandlers(void);

/// Whether `caloCleanupInstallSignalHandlers` has run in this process.
int caloCleanupHandlersInstalled(void);

#endif
