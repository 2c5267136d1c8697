/*
 * export.h: CO_API, the mark of a function libcutover exports.
 *
 * The library is compiled with -fvisibility=hidden: a function is visible
 * to programs linking the shared library only when its declaration in
 * include/cutover carries CO_API. Functions shared between the library's
 * own files are declared in src/ headers without it and stay hidden (the
 * static library still links them for the program and the unit tests).
 */
#ifndef CUTOVER_EXPORT_H
#define CUTOVER_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define CO_API __attribute__((visibility("default")))
#else
#define CO_API
#endif

#endif
