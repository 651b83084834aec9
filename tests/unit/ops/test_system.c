/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/ops/system.c: every probe reads this machine and process
 * and gives values that hold together. */
#include "harness.h"

#include "core/alloc.h"
#include "ops/system.h"

#include <string.h>
#include <unistd.h>

static void test_probes(void **state)
{
	(void)state;
	struct mx_system_info info;
	assert_int_equal(0, mx_system_info(&info));
	assert_true(info.cpu_logical >= 1);
	assert_true(info.cpu_physical >= 1 && info.cpu_physical <= info.cpu_logical);
	assert_true(info.memory_total > 0);
	assert_true(info.boot_time > 1000000000LL);
	assert_true(strlen(info.system) > 0);

	struct mx_system_cpu cpu;
	assert_int_equal(0, mx_system_cpu(&cpu));
	assert_true(cpu.percent >= 0 && cpu.percent <= 100);
	assert_true(cpu.ncpu >= 1);
	for (size_t i = 0; i < cpu.ncpu; i++)
		assert_true(cpu.per_cpu[i] >= 0 && cpu.per_cpu[i] <= 100);
	mx_free(cpu.per_cpu);

	struct mx_system_memory mem;
	assert_int_equal(0, mx_system_memory(&mem));
	assert_true(mem.total > 0 && mem.available <= mem.total && mem.free <= mem.total);
	assert_true(mem.process_rss > 0 && mem.process_vms >= mem.process_rss);

	struct mx_system_disk disk;
	assert_int_equal(0, mx_system_disk(&disk));
	assert_true(disk.total > 0 && disk.used <= disk.total);

	struct mx_system_network net;
	assert_int_equal(0, mx_system_network(&net));

	struct mx_system_process proc;
	assert_int_equal(0, mx_system_process(&proc));
	assert_int_equal((long long)getpid(), proc.pid);
	assert_true(proc.threads >= 1 && proc.fds >= 3);
	assert_true(strcmp(proc.status, "unknown") != 0);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_probes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
