# fastact/_buffers.pxd -- for the kernel modules' plain calls (see _buffers.pyx)
cimport numpy as cnp

cdef object new_array(int nd, cnp.npy_intp *dims, int typenum, bint fortran, Py_ssize_t offset)
