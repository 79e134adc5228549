/*
 * bcryptprimitives.dll for Wine < 8.13 (Debian 12 ships Wine 8.0): the Go
 * runtime (>= 1.22) loads ProcessPrng from it at start-up and aborts
 * ("bcryptprimitives.dll not found") where it is missing. Windows 10 and
 * later have the real DLL; this stand-in is only ever copied into the
 * throwaway Wine prefix of `make test-windows`. It answers from
 * RtlGenRandom (advapi32's SystemFunction036), which Wine 8.0 implements.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
