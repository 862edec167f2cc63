/* A qemu-user TCG plugin (plugin API of qemu 7.2, Debian 12's) that counts the guest instructions a program
 * executes, per guest thread (vCPU): when a translation block runs, its instruction count is added to its thread's
 * counter. A guest marks points of interest with the syscall MARK (0x5050, which Linux does not have: qemu answers
 * ENOSYS after the plugin saw it):
 *   syscall(0x5050, id)   ->   "mark <id> <instructions of the marking thread so far>"
 * so that a region counts the work of the thread that runs it, not helper threads spinning beside it (an OpenMP
 * runtime's, say). At exit: "total <instructions of all threads>". Output: the file named by outfile=PATH.
 * Build: bench/arm/icount/build.sh. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MARK 0x5050
#define THREADS 1024 /* guest threads counted apart; any beyond share the last counter */

static struct {
  uint64_t n;
  char pad[56]; /* a cache line each: threads on different host cores do not share one */
} executed[THREADS];
static FILE *out;

static void on_block(unsigned int vcpu, void *insns) {
  executed[vcpu < THREADS ? vcpu : THREADS - 1].n += (uintptr_t)insns;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS,
                                       (void *)(uintptr_t)qemu_plugin_tb_n_insns(tb));
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2, uint64_t a3,
                       uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8) {
  if (num == MARK) fprintf(out, "mark %" PRIu64 " %" PRIu64 "\n", a1, executed[vcpu < THREADS ? vcpu : THREADS - 1].n);
}

static void on_exit_(qemu_plugin_id_t id, void *data) {
  uint64_t all = 0;
  for (int i = 0; i < THREADS; ++i) all += executed[i].n;
  fprintf(out, "total %" PRIu64 "\n", all);
  fclose(out);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  for (int i = 0; i < argc; ++i)
    if (strncmp(argv[i], "outfile=", 8) == 0) out = fopen(argv[i] + 8, "w");
  if (out == NULL) {
    fprintf(stderr, "insncount: give outfile=PATH (a file it can write)\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
  qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
  return 0;
}
