/* A qemu-user TCG plugin (plugin API of qemu 7.2, Debian 12's) that counts the guest instructions a program
 * executes: the instruction count of each translation block is added to one counter when the block runs (inline,
 * no callback; exact for single-threaded guests, which is how every count here is taken). A guest marks points of
 * interest with the syscall MARK (0x5050, which Linux does not have: qemu answers ENOSYS after the plugin saw it):
 *   syscall(0x5050, id)   ->   "mark <id> <instructions so far>"
 * and at exit the plugin writes "total <instructions>". Output: the file named by outfile=PATH.
 * Build: bench/arm/icount/build.sh. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MARK 0x5050

static uint64_t executed;
static FILE *out;

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed, qemu_plugin_tb_n_insns(tb));
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2, uint64_t a3,
                       uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8) {
  if (num == MARK) fprintf(out, "mark %" PRIu64 " %" PRIu64 "\n", a1, executed);
}

static void on_exit_(qemu_plugin_id_t id, void *data) {
  fprintf(out, "total %" PRIu64 "\n", executed);
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
