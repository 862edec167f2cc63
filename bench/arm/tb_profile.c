/* tb_profile: a QEMU user-mode TCG plugin (plugin API v1, as bench/arm/icount/insncount.c) that counts,
 * per translation block, how often it ran while armed: a marker syscall (0x5050) with id START (default 10000, the
 * first layer mark of a -DPPMS_ICOUNT_MARKS=ON build) arms it, id STOP (default 1) disarms it. At exit it writes
 * "tb <guest address, hex> <instructions> <executions>" per block that ran armed. One guest thread only.
 * Build: gcc -O2 -shared -fPIC -I<qemu>/include/qemu tb_profile.c -o libtb_profile.so (functions_icount.sh does). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

typedef struct { uint64_t vaddr, insns, execs; } Block;
static Block **blocks;
static size_t count, capacity;
static int armed;
static int64_t start_id = 10000, stop_id = 1;
static FILE *out;

static void on_exec(unsigned int vcpu, void *udata) {
  if (armed) ((Block *)udata)->execs++;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  Block *b = calloc(1, sizeof(Block));
  if (!b) abort();
  b->vaddr = qemu_plugin_tb_vaddr(tb);
  b->insns = qemu_plugin_tb_n_insns(tb);
  if (count == capacity) {
    capacity = capacity ? 2 * capacity : 4096;
    blocks = realloc(blocks, capacity * sizeof(Block *));
    if (!blocks) abort();
  }
  blocks[count++] = b;
  qemu_plugin_register_vcpu_tb_exec_cb(tb, on_exec, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2, uint64_t a3,
                       uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8) {
  if (num != 0x5050) return;
  if ((int64_t)a1 == start_id) armed = 1;
  if ((int64_t)a1 == stop_id) armed = 0;
}

static void write_counts(qemu_plugin_id_t id, void *p) {
  for (size_t i = 0; i < count; ++i)
    if (blocks[i]->execs)
      fprintf(out, "tb %" PRIx64 " %" PRIu64 " %" PRIu64 "\n", blocks[i]->vaddr, blocks[i]->insns, blocks[i]->execs);
  fclose(out);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  for (int i = 0; i < argc; ++i) {
    if (!strncmp(argv[i], "outfile=", 8)) out = fopen(argv[i] + 8, "w");
    else if (!strncmp(argv[i], "start=", 6)) start_id = strtoll(argv[i] + 6, NULL, 0);
    else if (!strncmp(argv[i], "stop=", 5)) stop_id = strtoll(argv[i] + 5, NULL, 0);
    else {
      fprintf(stderr, "tb_profile: unknown option %s\n", argv[i]);
      return -1;
    }
  }
  if (!out) {
    fprintf(stderr, "tb_profile: needs outfile=PATH\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
  qemu_plugin_register_atexit_cb(id, write_counts, NULL);
  return 0;
}
