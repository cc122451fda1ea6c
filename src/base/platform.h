/*
 * platform.h - the first include of every .c file: feature macros and the few compiler
 * attributes the project uses. Keeps portability decisions in one place.
 */
#ifndef OMS_PLATFORM_H
#define OMS_PLATFORM_H

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OMS_MUST_CHECK __attribute__((warn_unused_result))
#define OMS_NORETURN __attribute__((noreturn))
#define OMS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define OMS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
