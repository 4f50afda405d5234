// SPDX-License-Identifier: GPL-2.0-only
/* Copyright(c) 1999 - 2024 Intel Corporation. */

#include "ixgbe.h"

#define DRV_VERSION "5.19.6"
char ixgbe_driver_name[] = "ixgbe";
const char ixgbe_driver_version[] = DRV_VERSION;

MODULE_AUTHOR("Intel Corporation, <linux.nics@intel.com>");
MODULE_DESCRIPTION("Intel(R) 10GbE PCI Express Linux Network Driver");
MODULE_LICENSE("GPL");
MODULE_VERSION(DRV_VERSION);
MODULE_PARM_DESC(max_vfs, "Number of Virtual Functions: 0 = disable (default), 1-63 = enable this many VFs (array of int)");
