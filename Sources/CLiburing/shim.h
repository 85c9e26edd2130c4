#pragma once
// sys/types.h first: liburing.h sets _GNU_SOURCE/_XOPEN_SOURCE, which would declare glibc
// structs differently from Swift's Glibc module and break the import (fd_set clash).
#include <sys/types.h>
#include <liburing.h>
