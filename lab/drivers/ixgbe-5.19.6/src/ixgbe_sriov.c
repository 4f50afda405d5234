// SPDX-License-Identifier: GPL-2.0-only
/* Copyright(c) 1999 - 2024 Intel Corporation. */

#include "ixgbe.h"

