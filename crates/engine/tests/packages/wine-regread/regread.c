/*
 * regread: a small 64-bit Windows console program that prints one value of the registry
 * key its test package (wine-regread.wxs) writes, so that a test can prove a program run
 * under Wine sees what an installer wrote into the prefix's registry.
 *
 *   regread.exe [NAME]
 *
 * Reads the REG_SZ value NAME (default "Greeting") of HKLM\Software\rmsi-test\RegRead in
 * the 64-bit view (RRF_SUBKEY_WOW6464KEY, as the package's Win64 component writes it) with
 * RegGetValueW, and prints it in UTF-8 followed by CRLF on standard output: exit 0. When
 * the key or the value is absent, or is not a string, it says so on standard error: exit 1.
 *
 * Built without the C runtime (kernel32, advapi32 and shell32 only) to keep the checked-in
 * .exe small: see build-wine-regread.sh.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <shellapi.h>

#define KEY L"Software\\rmsi-test\\RegRead"

/* The longest value read, in WCHARs (a longer one is reported as ERROR_MORE_DATA). */
#define VALUE_CHARS 2048

/* Writes a UTF-16 string (at most VALUE_CHARS long) to a standard handle as UTF-8, what a
 * test reading a pipe gets: up to 3 bytes a UTF-16 unit. */
static void put(DWORD std, const WCHAR *text)
{
    char buf[3 * VALUE_CHARS + 1];
    int n = WideCharToMultiByte(CP_UTF8, 0, text, -1, buf, sizeof buf, NULL, NULL);
    DWORD written;
    if (n > 1) /* n counts the terminating NUL */
        WriteFile(GetStdHandle(std), buf, (DWORD)(n - 1), &written, NULL);
}

static void fail(const WCHAR *name, LONG status)
{
    WCHAR reason[512];
    DWORD len = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                               NULL, (DWORD)status, 0, reason, 512, NULL);
    /* FormatMessage's text ends with CRLF already; an unknown code gets none. */
    put(STD_ERROR_HANDLE, L"regread: HKLM\\" KEY L" value ");
    put(STD_ERROR_HANDLE, name);
    put(STD_ERROR_HANDLE, L": ");
    put(STD_ERROR_HANDLE, len ? reason : L"cannot be read\r\n");
}

void start(void)
{
    int argc = 0;
    WCHAR **argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    const WCHAR *name = (argv && argc > 1) ? argv[1] : L"Greeting";
    WCHAR value[VALUE_CHARS];
    DWORD size = sizeof value;
    /* RegGetValueW: RRF_RT_REG_SZ refuses any other type (ERROR_UNSUPPORTED_TYPE) and
     * guarantees the string's terminating NUL. */
    LONG status = RegGetValueW(HKEY_LOCAL_MACHINE, KEY, name,
                               RRF_RT_REG_SZ | RRF_SUBKEY_WOW6464KEY, NULL, value, &size);
    if (status != ERROR_SUCCESS) {
        fail(name, status);
        ExitProcess(1);
    }
    put(STD_OUTPUT_HANDLE, value);
    put(STD_OUTPUT_HANDLE, L"\r\n");
    ExitProcess(0);
}
