"""Build of ctorch: the C core as ctorch._C, and ctorch._C_cuda when the CUDA
toolkit is found.

Environment:
  CTORCH_BLAS=scipy-openblas32 (default) | system   which OpenBLAS to link
  CTORCH_CUDA=0                                      never build the CUDA backend
  CTORCH_SANITIZE=1                                  ASan + UBSan build
  CTORCH_JOBS=N                                      parallel compile jobs (default: cores)
"""
import glob
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
CSRC = os.path.join("csrc")


def env_flag(name, default="0"):
    return os.environ.get(name, default).strip().lower() not in ("0", "", "false", "no", "off")


def blas_config():
    """Include dirs, library dirs, libraries, macros and rpaths of the BLAS."""
    choice = os.environ.get("CTORCH_BLAS", "scipy-openblas32")
    if choice == "system":
        def pc(flag):
            return subprocess.check_output(["pkg-config", flag, "openblas"], text=True).split()
        cflags, libs = pc("--cflags"), pc("--libs")
        return ([f[2:] for f in cflags if f.startswith("-I")], [f[2:] for f in libs if f.startswith("-L")],
                [f[2:] for f in libs if f.startswith("-l")], [], [])
    import scipy_openblas32 as sob
    lib_dir = sob.get_lib_dir()
    # the wheel's lib beside ctorch in site-packages, and where it is now (editable builds)
    rpaths = ["$ORIGIN/../scipy_openblas32/lib", lib_dir]
    return [sob.get_include_dir()], [lib_dir], [sob.get_library()], [("CT_BLAS_PREFIX", "scipy_")], rpaths


def find_cuda():
    """The CUDA toolkit root when nvcc is found and CTORCH_CUDA is not 0."""
    if os.environ.get("CTORCH_CUDA", "1") == "0":
        return None
    nvcc = shutil.which("nvcc") or (os.path.join(os.environ["CUDA_HOME"], "bin", "nvcc")
                                    if "CUDA_HOME" in os.environ else None)
    if not nvcc or not os.path.exists(nvcc):
        return None
    root = os.path.dirname(os.path.dirname(os.path.realpath(nvcc)))
    if not os.path.exists(os.path.join(root, "include", "cuda_runtime_api.h")):
        root = "/usr/local/cuda"
    return root if os.path.exists(os.path.join(root, "include", "cuda_runtime_api.h")) else None


def cuda_version(root):
    try:
        out = subprocess.check_output([os.path.join(root, "bin", "nvcc"), "--version"], text=True)
        return out.split("release ")[1].split(",")[0]
    except Exception:
        return None


class ParallelBuildExt(build_ext):
    """Compile the many small C files of an extension in parallel."""

    def build_extension(self, ext):
        jobs = int(os.environ.get("CTORCH_JOBS", os.cpu_count() or 1))
        compiler = self.compiler
        original = compiler.compile

        def compile_parallel(sources, output_dir=None, macros=None, include_dirs=None, debug=0,
                             extra_preargs=None, extra_postargs=None, depends=None):
            def one(src):
                return original([src], output_dir, macros, include_dirs, debug, extra_preargs,
                                extra_postargs, depends)[0]
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                return list(pool.map(one, sources))

        compiler.compile = compile_parallel
        try:
            super().build_extension(ext)
        finally:
            compiler.compile = original


def write_version(cuda, blas):
    path = os.path.join(ROOT, "ctorch", "version.py")
    text = ("# written by setup.py\n"
            "__version__ = '0.1.0'\n"
            f"cuda = {cuda!r}  # CUDA version the backend was built with, or None\n"
            f"blas = {blas!r}  # the OpenBLAS ctorch._C links\n"
            "debug = False\n")
    if not os.path.exists(path) or open(path).read() != text:
        with open(path, "w") as f:
            f.write(text)


def extensions():
    inc, lib_dirs, libs, macros, rpaths = blas_config()
    cflags = ["-std=c11", "-O3", "-fopenmp", "-Wall", "-Wextra", "-Wno-unused-parameter",
              "-fvisibility=hidden", "-fno-math-errno", "-fno-trapping-math"]
    ldflags = ["-fopenmp"]
    if env_flag("CTORCH_SANITIZE"):
        san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]
        cflags = [f for f in cflags if f != "-O3"] + ["-O1", "-g"] + san
        ldflags += san
    core = sorted(glob.glob(f"{CSRC}/core/*.c") + glob.glob(f"{CSRC}/ops/*.c") + glob.glob(f"{CSRC}/cpu/*.c")
                  + glob.glob(f"{CSRC}/autograd/*.c"))
    python = sorted(f for f in glob.glob(f"{CSRC}/python/*.c") if not f.endswith("cuda_module.c"))
    include_dirs = [f"{CSRC}/include", CSRC] + inc
    exts = [Extension("ctorch._C", core + python, include_dirs=include_dirs, library_dirs=lib_dirs,
                      libraries=libs, define_macros=macros, runtime_library_dirs=rpaths,
                      extra_compile_args=cflags, extra_link_args=ldflags)]
    cuda = find_cuda()
    write_version(cuda_version(cuda) if cuda else None, os.environ.get("CTORCH_BLAS", "scipy-openblas32"))
    if cuda:
        lib64 = os.path.join(cuda, "lib64")
        exts.append(Extension(
            "ctorch._C_cuda", sorted(glob.glob(f"{CSRC}/cuda/*.c")) + [f"{CSRC}/python/cuda_module.c"],
            include_dirs=include_dirs + [os.path.join(cuda, "include")], library_dirs=[lib64],
            libraries=["cudart"], runtime_library_dirs=[lib64], extra_compile_args=cflags,
            extra_link_args=ldflags))
    return exts


setup(ext_modules=extensions(), cmdclass={"build_ext": ParallelBuildExt})
