/* A minimal Windows service (packaged by services.wxs, started through Wine by the
 * engine's `services::start_in_wine` test): when its service manager starts it, it writes
 * `service-ran.txt` beside its executable (its command line, then each argument
 * StartService passed), reports SERVICE_RUNNING and waits until it is stopped.
 * Built with Debian's mingw-w64: x86_64-w64-mingw32-gcc -municode -O2 -s -o svc.exe svc.c */
#include <windows.h>
#include <stdio.h>
#include <wchar.h>

static SERVICE_STATUS_HANDLE status_handle;
static SERVICE_STATUS status;
static HANDLE stop_event;

static void report(DWORD state)
{
    status.dwCurrentState = state;
    SetServiceStatus(status_handle, &status);
}

static DWORD WINAPI control(DWORD code, DWORD type, void *data, void *context)
{
    (void)type;
    (void)data;
    (void)context;
    switch (code) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
        report(SERVICE_STOP_PENDING);
        SetEvent(stop_event);
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        return NO_ERROR;
    default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

static void write_mark(DWORD argc, wchar_t **argv)
{
    wchar_t path[MAX_PATH + 32];
    DWORD n = GetModuleFileNameW(NULL, path, MAX_PATH);
    if (n == 0 || n >= MAX_PATH)
        return;
    wchar_t *slash = wcsrchr(path, L'\\');
    if (!slash)
        return;
    wcscpy(slash + 1, L"service-ran.txt");
    FILE *f = _wfopen(path, L"w");
    if (!f)
        return;
    fwprintf(f, L"command line: %ls\n", GetCommandLineW());
    for (DWORD i = 0; i < argc; i++)
        fwprintf(f, L"argument %lu: %ls\n", (unsigned long)i, argv[i]);
    fclose(f);
}

static void WINAPI service_main(DWORD argc, wchar_t **argv)
{
    status_handle = RegisterServiceCtrlHandlerExW(argc > 0 ? argv[0] : L"", control, NULL);
    if (!status_handle)
        return;
    status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    status.dwControlsAccepted = SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN;
    stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    write_mark(argc, argv);
    report(SERVICE_RUNNING);
    WaitForSingleObject(stop_event, INFINITE);
    report(SERVICE_STOPPED);
}

int wmain(void)
{
    SERVICE_TABLE_ENTRYW table[] = {{(wchar_t *)L"", service_main}, {NULL, NULL}};
    return StartServiceCtrlDispatcherW(table) ? 0 : 1;
}
