/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _IXGBEVF_H_
#define _IXGBEVF_H_
#include "kcompat.h"
#endif
