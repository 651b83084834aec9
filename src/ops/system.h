/* SPDX-License-Identifier: Apache-2.0 */
/*
 * system — this machine and this process, as MXCP's admin API reports
 * them: read from /proc, /sys, statvfs and uname, computed the way MXCP's
 * metrics library computes them on Linux (CPU percentages over a 100 ms
 * sample, "used" memory without buffers and page cache, …).
 *
 * Each probe fills a value struct and returns 0, or -1 with errno set
 * when its source could not be read. The CPU and process probes sleep for
 * the sample (100 ms) on the calling thread: call them off any event path.
 */
#ifndef MX_OPS_SYSTEM_H
#define MX_OPS_SYSTEM_H

#include <stddef.h>

struct mx_system_info {
	long long boot_time; /* seconds since the epoch */
	long cpu_physical; /* distinct cores */
	long cpu_logical; /* CPUs online */
	long long memory_total; /* bytes */
	char hostname[256], system[256], release[256], machine[256]; /* uname */
};

struct mx_system_cpu {
	double percent; /* every CPU, over the sample */
	double *per_cpu; /* one per online CPU (mx_free it) */
	size_t ncpu;
	double load[3]; /* 1, 5 and 15 minute load averages */
};

struct mx_system_memory {
	long long total, available, used, free; /* bytes */
	double percent; /* (total - available) / total */
	long long swap_total, swap_used, swap_free;
	double swap_percent;
	long long process_rss, process_vms; /* this process */
};

struct mx_system_disk {
	unsigned long long total, used, free; /* the root file system; free: for unprivileged users */
	double percent;
	unsigned long long read_bytes, write_bytes, read_count, write_count; /* whole disks since boot */
};

struct mx_system_network {
	unsigned long long bytes_sent, bytes_recv, packets_sent, packets_recv;
	unsigned long long errin, errout, dropin, dropout; /* every interface since boot */
};

struct mx_system_process {
	long long pid;
	const char *status; /* "running", "sleeping", … (static) */
	double cpu_percent; /* over the sample */
	long long rss, vms; /* bytes */
	long long threads;
	long fds; /* open descriptors */
};

int mx_system_info(struct mx_system_info *out);
int mx_system_cpu(struct mx_system_cpu *out);
int mx_system_memory(struct mx_system_memory *out);
int mx_system_disk(struct mx_system_disk *out);
int mx_system_network(struct mx_system_network *out);
int mx_system_process(struct mx_system_process *out);

#endif
