#!/bin/bash
# Guest side of the self-test: the LVM thin pool steps of the isulad
# devicemapper guide against the first blank disk, plus vhost_vsock.
set -euo pipefail
disk=${TESTVM_DISK:-/dev/vdb}
pvcreate "$disk"
vgcreate isula "$disk"
lvcreate --wipesignatures y -n thinpool isula -l 95%VG
lvcreate --wipesignatures y -n thinpoolmeta isula -l 1%VG
lvconvert -y --zero n -c 64K --thinpool isula/thinpool --poolmetadata isula/thinpoolmeta
lvs --reportformat json --units b --nosuffix \
	-o lv_name,lv_attr,data_percent,metadata_percent,chunk_size,seg_monitor
lsmod | grep -E '^dm_thin_pool ' || { echo "dm_thin_pool not loaded" >&2; exit 1; }
lvs --noheadings -o lv_attr,seg_monitor isula/thinpool | grep -q 'twi-a-t---.*monitored' ||
	{ echo "thin pool not active+monitored" >&2; exit 1; }
modprobe vhost_vsock
ls -l /dev/vhost-vsock
