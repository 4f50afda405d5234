/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _IXGBE_H_
#define _IXGBE_H_
#include "kcompat.h"
#endif
