/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock.h - the one clock for durations and intervals (CLOCK_MONOTONIC,
 * never stepped by NTP or the administrator) and the wall clock for the
 * timestamps that are exposed (CLOCK_REALTIME), both in nanoseconds.
 */
#ifndef NS_CLOCK_H
#define NS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t ns_clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Durations and intervals. */
static inline int64_t ns_mono_ns(void)
{
	return ns_clock_ns(CLOCK_MONOTONIC);
}

/* Wall-clock timestamps (Unix epoch). */
static inline int64_t ns_wall_ns(void)
{
	return ns_clock_ns(CLOCK_REALTIME);
}

#endif
